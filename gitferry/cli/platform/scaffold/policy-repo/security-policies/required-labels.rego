# Every Deployment names itself with app.kubernetes.io/name (checked before merge).
package gitferry.policies.labels

import rego.v1

deny contains message if {
	input.kind == "Deployment"
	not input.metadata.labels["app.kubernetes.io/name"]
	message := sprintf("Deployment/%s: add the label app.kubernetes.io/name", [input.metadata.name])
}
