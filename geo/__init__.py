"""panhuo's geospatial core: read and validate parcel layers, apply the rule book, compute indicators.

Pure library code: nothing here imports FastAPI or reads environment variables.
"""
