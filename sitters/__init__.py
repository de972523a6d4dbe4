"""Sitter profiles, certifications, verification, availability and holds, search, reviews and ratings."""
