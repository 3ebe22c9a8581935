"""Every letter to a household: the wording registered per kind, rendered in the letter's language,
kept as a notice, handed to the outbox or kept for the next print run."""
