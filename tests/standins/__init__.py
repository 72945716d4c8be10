"""Local stand-ins for the outside services briefing talks to; started on 127.0.0.1 by tests."""
