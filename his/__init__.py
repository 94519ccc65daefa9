"""Everything that leaves the platform for another system: the endpoints (a practice's HIS, a
partner's own system) and the export records with their idempotency keys, the SOEP note and the
shared FHIR builders, and the delivery (post, retry, fail) with its Celery task.

Knows no app above it: an export points at what it exports through a generic source (content
type + id), which the app that owns the source (conversations, referrals, …) fills and reads.
"""
