"""What the tests build their stories from: people, sites, windows, running scenes, phones and browsers.

Test modules and conftest files import from here, never from one another: a conftest keeps only the
fixtures, which call these builders."""
