"""NLP: the spaCy pipeline and our registered components (sentences, tags, entities, places, stance)."""
