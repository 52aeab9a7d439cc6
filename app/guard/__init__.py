"""Abuse limits and presence: the ``Guard`` port, its in-process adapter and its Redis adapter."""
