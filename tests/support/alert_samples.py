"""Alerts as the tests send them: an Alertmanager webhook body, a generic alert, and how an
alert opens (who is paged, by what)."""

from __future__ import annotations

from app.alerts.payloads import parse_generic
from app.alerts.store import Opening

ALERTMANAGER_BODY = {
    "version": "4", "groupKey": '{}:{alertname="DiskFull"}', "truncatedAlerts": 0,
    "status": "firing", "receiver": "hotline", "groupLabels": {"alertname": "DiskFull"},
    "commonLabels": {"alertname": "DiskFull", "service": "billing"},
    "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
    "alerts": [
        {"status": "firing", "labels": {"alertname": "DiskFull", "service": "billing",
                                        "severity": "warning", "instance": "db1"},
         "annotations": {"summary": "Disk almost full on db1"},
         "startsAt": "2026-12-02T11:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://prometheus/graph", "fingerprint": "4b2c2f0dd0a2a0c1"},
        {"status": "firing", "labels": {"alertname": "DiskFull", "service": "billing",
                                        "severity": "critical", "instance": "db2"},
         "annotations": {"summary": "Disk full on db2"}, "startsAt": "2026-12-02T11:59:30Z",
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "9f1e0c7a55b3d2e4"},
    ],
}


DISK = {"key": "db1-disk", "summary": "Disk almost full on db1", "source": "billing"}
OPENING = Opening("critical", "call", "default", ("dana", "alice"), "active")
FIRING = parse_generic({"key": "db1-disk", "summary": "Disk almost full"})
