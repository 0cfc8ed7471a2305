"""Runtime switches of the policy layer: fault rules that can be changed while the shop runs."""
from django.core.exceptions import ValidationError
from django.db import models


class FaultRule(models.Model):
    """Inject delays and/or aborts into calls to a boundary (one operation, or all when blank)."""

    boundary = models.CharField(max_length=50)
    operation = models.CharField(max_length=50, blank=True, help_text="Blank: every operation.")
    enabled = models.BooleanField(default=True)
    delay_percentage = models.FloatField(default=0)
    fixed_delay = models.FloatField(default=0, help_text="Seconds.")
    abort_percentage = models.FloatField(default=0)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    grpc_status = models.CharField(max_length=30, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["boundary", "operation"], name="one_fault_rule_per_target")]

    def __str__(self):
        target = f"{self.boundary}.{self.operation}" if self.operation else self.boundary
        return f"fault on {target}: {self.delay_percentage}% +{self.fixed_delay}s, {self.abort_percentage}% abort"

    def clean(self):
        for name in ("delay_percentage", "abort_percentage"):
            if not 0 <= getattr(self, name) <= 100:
                raise ValidationError({name: "A percentage is between 0 and 100."})
        if self.fixed_delay < 0:
            raise ValidationError({"fixed_delay": "A delay cannot be negative."})

    def as_fault(self):
        """The rule as a Fault (None when it injects nothing)."""
        from common.resilience.faults import Fault

        return Fault.from_dict({
            "delay": {"percentage": self.delay_percentage, "fixed_delay": self.fixed_delay},
            "abort": {"percentage": self.abort_percentage, "http_status": self.http_status,
                      "grpc_status": self.grpc_status or None},
        })
