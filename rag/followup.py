"""Placeholder."""
def rewrite(question, history):
    return question
