"""Operator sign-in (password, then TOTP when set up), sign-out, and the
operator's own account page (password change, authenticator app).

Sign-in attempts are rate-limited per IP and per address with the same
counters `/auth/v1` uses; a failed attempt says only that the address or the
password is wrong.
"""

from __future__ import annotations

import pyotp
import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import ratelimits
from accounts.errors import OverRequestRateLimit
from studio.models import Operator
from studio.passwords import OperatorPasswordChangeForm
from studio.permissions import operator_required

PENDING = "studio.pending_operator"
PENDING_NEXT = "studio.pending_next"
TOTP_ISSUER = "KoyaLite Studio"


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


class OperatorLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True})
    )

    def clean(self):
        address = self.data.get("username", "")
        try:
            ratelimits.hit("studio_sign_in", _client_ip(self.request), address)
        except OverRequestRateLimit as error:
            raise forms.ValidationError(error.message, code="rate_limited") from None
        return super().clean()


class OperatorLoginView(LoginView):
    template_name = "studio/login.html"
    form_class = OperatorLoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(e.code == "rate_limited" for e in form.non_field_errors().as_data()):
            response.status_code = 429
        return response

    def form_valid(self, form):
        operator: Operator = form.get_user()
        if not operator.has_totp:
            return super().form_valid(form)
        # The password was right; the session is not signed in until the code is.
        self.request.session.cycle_key()
        self.request.session[PENDING] = operator.pk
        self.request.session[PENDING_NEXT] = self.get_success_url()
        return redirect("studio:login_totp")


class TotpForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\d{6}$",
        label="Code from your authenticator app",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )


def login_totp(request: HttpRequest) -> HttpResponse:
    operator = Operator.objects.filter(
        pk=request.session.get(PENDING), is_active=True
    ).first()
    if operator is None or not operator.has_totp:
        return redirect("studio:login")
    form = TotpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ratelimits.hit("studio_sign_in", _client_ip(request), operator.email)
        except OverRequestRateLimit as error:
            form.add_error(None, error.message)
            status = 429
        else:
            if pyotp.TOTP(operator.totp_secret).verify(
                form.cleaned_data["code"], valid_window=1
            ):
                next_url = request.session.pop(PENDING_NEXT, "")
                request.session.pop(PENDING, None)
                login(
                    request,
                    operator,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
                if not url_has_allowed_host_and_scheme(
                    next_url, {request.get_host()}, require_https=request.is_secure()
                ):
                    next_url = "/studio/"
                return redirect(next_url)
            form.add_error("code", "That code is not valid. Try the current one.")
    return render(request, "studio/login_totp.html", {"form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("studio:login")


class TotpSetupForm(TotpForm):
    secret = forms.CharField(widget=forms.HiddenInput, max_length=64)


@operator_required
def account(request: HttpRequest) -> HttpResponse:
    operator: Operator = request.user
    password_form = OperatorPasswordChangeForm(operator)
    totp_form = TotpSetupForm(initial={"secret": pyotp.random_base32()})
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "password":
        password_form = OperatorPasswordChangeForm(operator, request.POST)
        if password_form.is_valid():
            password_form.save()
            update_session_auth_hash(request, password_form.user)
            messages.success(request, "Password changed.")
            return redirect("studio:account")
    elif action == "totp_enable":
        totp_form = TotpSetupForm(request.POST)
        if totp_form.is_valid():
            secret = totp_form.cleaned_data["secret"]
            if pyotp.TOTP(secret).verify(
                totp_form.cleaned_data["code"], valid_window=1
            ):
                operator.totp_secret = secret
                operator.save(update_fields=["totp_secret"])
                messages.success(request, "Authenticator app enabled.")
                return redirect("studio:account")
            totp_form.add_error("code", "That code is not valid. Try the current one.")
    elif action == "totp_disable":
        if operator.check_password(request.POST.get("password", "")):
            operator.totp_secret = ""
            operator.save(update_fields=["totp_secret"])
            messages.success(request, "Authenticator app removed.")
            return redirect("studio:account")
        messages.error(request, "Wrong password: the authenticator app stays on.")
    secret = totp_form["secret"].value()
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=operator.email, issuer_name=TOTP_ISSUER
    )
    context = {
        "password_form": password_form,
        "totp_form": totp_form,
        "totp_secret": secret,
        "totp_qr": segno.make(uri).svg_data_uri(scale=4),
    }
    status = 400 if action and request.method == "POST" else 200
    return render(request, "studio/account.html", context, status=status)
