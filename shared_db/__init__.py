"""The booking database both channels share. No Flask in here."""
