"""The only code that writes catalog records. API views, the admin, the UI, management
commands and tests that need real state all call these functions, so that policy, quotas,
status transitions and audit can never be skipped."""
