"""Admin for the policy layer: fault rules (changed at run time) and the circuit breakers of this process."""
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .models import FaultRule
from .resilience.breaker import FORCED_CLOSED, FORCED_OPEN, all_breakers
from .resilience.faults import runtime_rules


@admin.register(FaultRule)
class FaultRuleAdmin(admin.ModelAdmin):
    list_display = ("boundary", "operation", "enabled", "delay_percentage", "fixed_delay", "abort_percentage",
                    "http_status", "grpc_status", "updated_at")
    list_editable = ("enabled",)
    list_filter = ("boundary", "enabled")
    change_list_template = "admin/common/faultrule/change_list.html"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        runtime_rules.invalidate()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        runtime_rules.invalidate()

    def get_urls(self):
        return [
            path("breakers/", self.admin_site.admin_view(self.breakers_view), name="common_breakers"),
            *super().get_urls(),
        ]

    def breakers_view(self, request):
        """Every breaker this process has used: state, rates, recent transitions, and actions."""
        breakers = {b.name: b for b in all_breakers()}
        if request.method == "POST":
            breaker = breakers.get(request.POST.get("breaker", ""))
            action = request.POST.get("action")
            if breaker is None or action not in {"force_open", "force_closed", "reset"}:
                messages.error(request, "Unknown breaker or action.")
            else:
                {"force_open": lambda: breaker.force(FORCED_OPEN),
                 "force_closed": lambda: breaker.force(FORCED_CLOSED),
                 "reset": breaker.reset}[action]()
                messages.success(request, f"{breaker.name}: {action.replace('_', ' ')}")
            return HttpResponseRedirect(reverse("admin:common_breakers"))
        rows = []
        for breaker in breakers.values():
            failure_rate, slow_rate = breaker.rates()
            rows.append({"name": breaker.name, "state": breaker.state, "failure_rate": failure_rate,
                         "slow_rate": slow_rate, "policy": breaker.policy,
                         "transitions": list(breaker.transitions)[-5:]})
        context = {**self.admin_site.each_context(request), "title": "Circuit breakers", "rows": rows,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/common/breakers.html", context)
