package config

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// JSON returns c as indented JSON, keys in struct order, ending in a newline. Loading it
// back (Parse or Load) gives a Config equal to c.
func (c Config) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return append(b, '\n'), nil
}

// YAML returns c as block-style YAML with the same keys and order as JSON.
func (c Config) YAML() ([]byte, error) {
	j, err := c.JSON()
	if err != nil {
		return nil, err
	}
	// JSON is YAML: parse it into nodes (which keep the order and the string tags, so
	// strings that look like numbers stay quoted) and re-emit them in block style.
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var clear func(n *yaml.Node)
	clear = func(n *yaml.Node) {
		n.Style = 0
		if n.Kind == yaml.SequenceNode {
			n.Style = yaml.FlowStyle // nbins: [44, 20, 32]
		}
		for _, ch := range n.Content {
			clear(ch)
		}
	}
	clear(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return buf.Bytes(), nil
}
