"""Supabase Storage's routes; the fixed words (`list`, `sign`, `public`…) come
before the `<bucket>/<name>` catch-all, as in Supabase's server."""

from django.urls import path, re_path, register_converter

from storage import tus, views


class ObjectName:
    """Any object name, newlines included, so that `storage.names` refuses
    what it must with Storage's error, not Django's HTML 404."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ObjectName, "name")

urlpatterns = [
    path("bucket", views.bucket_list),
    path("bucket/", views.bucket_list),
    path("bucket/<str:bucket_id>", views.bucket_detail),
    path("bucket/<str:bucket_id>/empty", views.bucket_empty),
    path("upload/resumable/sign", tus.upload_create_signed),
    path("upload/resumable/sign/", tus.upload_create_signed),
    path("upload/resumable/sign/<str:upload_id>", tus.upload_detail_signed),
    path("upload/resumable", tus.upload_create),
    path("upload/resumable/", tus.upload_create),
    path("upload/resumable/<str:upload_id>", tus.upload_detail),
    path("object/list/<str:bucket_id>", views.object_list),
    path("object/list-v2/<str:bucket_id>", views.object_list_v2),
    path("object/move", views.object_move),
    path("object/copy", views.object_copy),
    path("object/info/public/<str:bucket_id>/<name:name>", views.object_info_public),
    path("object/info/authenticated/<str:bucket_id>/<name:name>", views.object_info),
    path("object/info/<str:bucket_id>/<name:name>", views.object_info),
    path("object/public/<str:bucket_id>/<name:name>", views.object_public),
    path(
        "object/authenticated/<str:bucket_id>/<name:name>", views.object_authenticated
    ),
    path("object/upload/sign/<str:bucket_id>/<name:name>", views.object_upload_sign),
    path("object/sign/<str:bucket_id>/<name:name>", views.object_sign),
    path("object/sign/<str:bucket_id>", views.object_sign_many),
    path("render/image/public/<str:bucket_id>/<name:name>", views.render_public),
    path(
        "render/image/authenticated/<str:bucket_id>/<name:name>",
        views.render_authenticated,
    ),
    path("render/image/sign/<str:bucket_id>/<name:name>", views.render_signed),
    path("object/<str:bucket_id>/<name:name>", views.object_detail),
    path("object/<str:bucket_id>", views.object_remove),
    re_path(r"^.*$", views.not_found),
]
