"""The HIS models moved to ``his.models``. ``conversations/0002`` and ``referrals/0002`` name
these validators by this path: the old migrations must keep loading."""

from his.models import validate_fhir_url, validate_his_url, validate_icpc_code

__all__ = ["validate_fhir_url", "validate_his_url", "validate_icpc_code"]
