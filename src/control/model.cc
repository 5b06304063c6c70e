// Placeholder: filled in by the provisioning work (issue 6).
