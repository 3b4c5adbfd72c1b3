"""insights"""
