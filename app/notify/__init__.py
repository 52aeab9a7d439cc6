"""Notifications: SMS and e-mail about calls and shifts, through Twilio and SMTP, from RQ jobs."""
