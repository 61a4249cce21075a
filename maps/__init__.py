"""panhuo's maps: folium web maps and printable briefings (pure builders; saving is separate)."""
