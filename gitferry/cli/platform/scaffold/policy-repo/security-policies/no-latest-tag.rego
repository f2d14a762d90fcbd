# Images are pinned: no `latest` tag and no untagged image.
package gitferry.policies.images

import rego.v1

deny contains message if {
	some container in input.spec.template.spec.containers
	endswith(container.image, ":latest")
	message := sprintf("%s/%s: pin the image %s to a version", [input.kind, input.metadata.name, container.image])
}
