"""Importing spreadsheets: members, and a club's memberships, package balances and visits from another system;
read the bytes, guess the columns, check each row, insert at once."""
