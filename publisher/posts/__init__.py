"""Posts: platform rules as data, X's weighted length, pre-flight validation and previews.

``rules`` says what each platform accepts, ``twitter_text`` weighs text as X does,
``validate`` lists every rule a post breaks (Bahasa Indonesia), ``preview`` draws the card a
reviewer sees (HTML) and its PNG, ``overrides`` keeps agency-level caption templates.
"""
