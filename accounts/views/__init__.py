"""The accounts app's pages: ``profile`` (the user's own profile and absences, colleague search,
language, support request, and the admin login) and ``staff`` (staff management and
invitations)."""
