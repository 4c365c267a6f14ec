"""The Django admin for publication requests: owners file them through the API, admins
approve or reject them here with actions (through the publication service)."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from catalog.admin.base import ScopedModelAdmin, run_on_each
from catalog.models import PublicationRequest
from catalog.services import checklist as checklist_service
from catalog.services import publication


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        required=False,
        max_length=publication.MESSAGE_MAX_LENGTH,
    )


@admin.register(PublicationRequest)
class PublicationRequestAdmin(ScopedModelAdmin):
    """Requests are filed by owners through the API; admins decide here, with actions."""

    def scope(self, request, ctx, queryset):
        return queryset.filter(pk__in=publication.requests_visible_to(ctx).values("pk"))

    list_display = [
        "image",
        "project_id",
        "requested_by",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status"]
    search_fields = ["image__id", "image__name", "project_id", "requested_by"]
    actions = ["approve_requests", "reject_requests"]
    readonly_fields = [
        "image",
        "project_id",
        "requested_by",
        "message",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
        "direct",
        "checks_overridden",
        "checklist",
    ]

    @admin.display(description="publication checklist (now)")
    def checklist(self, obj):
        checks = checklist_service.evaluate_image(obj.image)
        if not checks:
            return "No checklist rule is on."
        return format_html_join(
            mark_safe("<br>"),
            "{} {}: {}",
            (("\u2713" if c.passed else "\u2717", c.rule, c.reason) for c in checks),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the decisions are the record

    @admin.action(description="Approve selected requests (make the images public)")
    def approve_requests(self, request, queryset):
        return self._decide(request, queryset, "approve_requests", publication.approve)

    @admin.action(description="Reject selected requests (a reason is required)")
    def reject_requests(self, request, queryset):
        return self._decide(request, queryset, "reject_requests", publication.reject)

    def _decide(self, request, queryset, action, decide):
        """First show a form for the reason; on its submission, decide each request."""
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        form.fields["reason"].required = decide is publication.reject
        if not form.is_bound or not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Approve publication" if decide is publication.approve else "Reject",
                "opts": self.model._meta,
                "queryset": queryset,
                "form": form,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/catalog/publication_decision.html", context)
        reason = form.cleaned_data["reason"]
        run_on_each(
            self,
            request,
            queryset,
            lambda ctx, item: decide(ctx, item.pk, reason),
            "decided",
            noun="request(s)",
        )
        return None
