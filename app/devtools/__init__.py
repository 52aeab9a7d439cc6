"""Tools for trying the hotline without Twilio: the call simulator and an embedded Redis server."""
