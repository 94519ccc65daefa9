"""The conversations app's pages: ``conversations`` (inbox, consultations, a conversation and its
messages) and ``inboxes`` (managing shared inboxes)."""
