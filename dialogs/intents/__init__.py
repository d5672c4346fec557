"""Free text understood: what a resident types instead of pressing a button, routed to the flow that helps."""
