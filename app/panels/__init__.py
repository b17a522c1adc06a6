"""Challenge and support panels: sessions, slots, members, conflicts, scoring, moderation."""
