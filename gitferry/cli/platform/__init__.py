"""`gitferry init` and `gitferry up`: the whole platform on one machine.

`layout` names every path of a workdir; `scaffold` writes the four repositories of the
blueprint (from the templates in `scaffold/`) and publishes them to bare remotes; `processes`
starts and stops the embedded clusters and the controller as child processes; `bootstrap`
connects them (kubeconfig, config file, install, cluster registrations, the app-of-apps);
`progress` shows the applications converge; `up_cmd` and `init_cmd` are the commands.
"""
