"""The app party: the bundled Auth.js apps, your own app, the sample app's test clock."""
