"""Who is who: partnerships, agencies, people and their memberships."""
