"""Private files: the abstract model, the upload checks, the multiple-file field and the
download response. Knows no app that keeps files (conversations, referrals, …): they subclass
``PrivateFile``, call ``uploads_prepare``/``private_file_save`` and serve with
``private_file_response`` after their own access rule."""
