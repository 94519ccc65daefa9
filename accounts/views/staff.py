"""Praktijkinstellingen → Medewerkersbeheer (level A) and invitations."""

from __future__ import annotations

from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services, staff_access, staff_selectors
from accounts.forms import (
    AccountRequestForm,
    InvitationAcceptForm,
    InvitationForm,
    LevelChangeForm,
    PatientDataAccessForm,
)
from accounts.models import User
from accounts.services.invitations import InvitationUnusable

PAGE_SIZE = 25


def _form_errors_from(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def staff_list(request):
    practice = staff_access.require_staff_manager(request.membership)
    page = Paginator(staff_selectors.staff_of(practice), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/staff/list.html",
        {
            "practice": practice,
            "page": page,
            "requests": staff_selectors.account_requests_of(practice).pending()[:50],
            "invitations": staff_selectors.staff_invitations_of(practice)[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_request_create(request):
    practice = staff_access.require_staff_manager(request.membership)
    form = AccountRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_request_create(manager=request.membership, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("Request sent to the helpdesk. You get an e-mail when it has been handled."),
            )
            return redirect("accounts:staff-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "accounts/staff/request_form.html",
        {"form": form, "practice": practice},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def level_change_request(request, pk: int):
    membership = staff_access.staff_membership_get(manager=request.membership, pk=pk)
    form = LevelChangeForm(request.POST or None, initial={"level": membership.level})
    if request.method == "POST" and form.is_valid():
        try:
            services.level_change_request_create(
                manager=request.membership, membership=membership, **form.cleaned_data
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("The level change has been requested from the helpdesk."))
            return redirect("accounts:staff-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "accounts/staff/level_change_form.html",
        {"form": form, "colleague": membership},
        status=status,
    )


@login_required
@require_POST
def patient_data_access(request, pk: int):
    membership = staff_access.staff_membership_get(manager=request.membership, pk=pk)
    form = PatientDataAccessForm(request.POST)
    form.is_valid()
    granted = form.cleaned_data.get("granted", False)
    try:
        services.patient_data_access_set(
            manager=request.membership, membership=membership, granted=granted
        )
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("accounts:staff-list")
    if granted:
        text = _(
            "%(name)s now has access to patient data, after logging in again with a second factor."
        )
    else:
        text = _("%(name)s no longer has access to patient data.")
    messages.success(request, text % {"name": membership.user.full_name})
    return redirect("accounts:staff-list")


# --- Invitations ------------------------------------------------------------------------


@login_required
def invitation_list(request):
    invitations = staff_access.invitations_visible_to(request.membership)
    page = Paginator(staff_selectors.invitations_list(invitations), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/invitations/list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request):
    staff_access.require_inviter(request.membership)
    choose = staff_access.can_invite_providers(request.membership)
    form = InvitationForm(
        request.POST or None,
        organisations=staff_access.invitable_organisations(request.membership) if choose else None,
        choose_organisation=choose,
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(inviter=request.membership, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            if invitation.sent_at:
                text = _("The invitation has been sent to %(email)s.")
            else:
                text = _(
                    "The helpdesk first confirms the new organisation; then the invitation to "
                    "%(email)s is sent."
                )
            messages.success(request, text % {"email": invitation.email})
            return redirect("accounts:invitation-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "accounts/invitations/form.html", {"form": form, "choose": choose}, status=status
    )


@login_required
@require_POST
def invitation_resend(request, pk: int):
    invitation = staff_access.invitation_get(membership=request.membership, pk=pk)
    try:
        services.invitation_resend(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The invitation has been sent again to %(email)s.") % {"email": invitation.email},
        )
    return redirect("accounts:invitation-list")


@login_required
@require_POST
def invitation_revoke(request, pk: int):
    invitation = staff_access.invitation_get(membership=request.membership, pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation has been revoked; its link no longer works."))
    return redirect("accounts:invitation-list")


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    try:
        invitation = services.invitation_for_token(token)
    except InvitationUnusable as exc:
        status = 404 if exc.code == "unknown" else 410
        return render(
            request,
            "accounts/invitations/unusable.html",
            {"message": exc.messages[0]},
            status=status,
        )
    existing = User.objects.filter(email__iexact=invitation.email).exists()
    signed_in_as_other = (
        request.user.is_authenticated and request.user.email.lower() != invitation.email.lower()
    )
    context = {"invitation": invitation, "existing": existing, "other_user": signed_in_as_other}
    if signed_in_as_other:
        return render(request, "accounts/invitations/accept.html", context)
    if existing:
        if request.method == "POST" and request.user.is_authenticated:
            try:
                services.invitation_accept(token=token, user=request.user)
            except InvitationUnusable as exc:
                return render(
                    request,
                    "accounts/invitations/unusable.html",
                    {"message": exc.messages[0]},
                    status=410,
                )
            except ValidationError as exc:
                # E.g. a helpdesk account, which never joins an organisation this way.
                return render(
                    request,
                    "accounts/invitations/unusable.html",
                    {"message": exc.messages[0]},
                    status=403,
                )
            messages.success(
                request,
                _("You now also work on behalf of %(org)s.")
                % {"org": invitation.organisation.name},
            )
            return redirect("home")
        return render(request, "accounts/invitations/accept.html", context)

    form = InvitationAcceptForm(
        request.POST or None,
        initial={
            "first_name": invitation.first_name,
            "infix": invitation.infix,
            "last_name": invitation.last_name,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_accept(
                token=token,
                first_name=data["first_name"],
                infix=data["infix"],
                last_name=data["last_name"],
                password=data["password1"],
            )
        except InvitationUnusable as exc:
            return render(
                request,
                "accounts/invitations/unusable.html",
                {"message": exc.messages[0]},
                status=410,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("Welcome to Regiozorg! Now protect your account with a second factor."),
            )
            return perform_login(
                request, user, redirect_url=reverse("mfa_activate_totp"), email=user.email
            )
    context["form"] = form
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/invitations/accept.html", context, status=status)
