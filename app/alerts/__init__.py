"""Alerts that call: Alertmanager and generic webhooks, escalation by phone, SMS or e-mail."""
