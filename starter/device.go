package main

import "github.com/spf13/cobra"

// devicesCommand groups the device registry verbs.
func devicesCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "Manage the push device registry",
	}
	cmd.AddCommand(importCommand(a))
	return cmd
}
