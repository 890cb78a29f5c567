"""The Logto party: its Management API client and the embedded Logto's controls."""
