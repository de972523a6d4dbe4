"""Uploads, validation, virus scanning, image processing, signed URLs."""
