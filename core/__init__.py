"""Domain-free helpers shared by the apps. Imports Django only, never a project app."""
