"""Importing members from spreadsheets: read the bytes, guess the columns, check each row, insert at once."""
