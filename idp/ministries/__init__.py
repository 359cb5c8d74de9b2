"""Ministries, their online services and rights (the catalogue), and enterprise registrations."""
