"""Thin views: parse a form, call one service, render or redirect."""
