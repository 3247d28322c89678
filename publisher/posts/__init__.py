"""Posts: caption counting, pre-flight validation and previews.

``rules`` reads what each platform accepts from its spec and counts captions as it does (X's
weighted length lives with X, in :mod:`publisher.platforms.x.twitter_text`),
``validate`` lists every rule a post breaks (Bahasa Indonesia), ``preview`` draws the card a
reviewer sees (HTML) and its PNG, ``overrides`` keeps agency-level caption templates.
"""
