from django.http import HttpResponse
from django.views import View


def openapi_view(request):
    return HttpResponse(status=501)


class TableView(View):
    pass
