"""The care plans' models, split by topic; import them from here."""

from careplans.models.health_plan import Action, Goal, HealthPlan, PlanChange, Problem

__all__ = ["Action", "Goal", "HealthPlan", "PlanChange", "Problem"]
