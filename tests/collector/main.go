// Program gmt-otelcol is the OpenTelemetry Collector distribution of gomemtrace's
// end-to-end tests: only what the OTLP export tests need, so that it builds in a few
// minutes from the Go module proxy and stays small.
//
//   - receiver otlp: what gomemtrace sends to (OTLP/HTTP; metrics and, behind the
//     service.profilesSupport feature gate, profiles);
//   - exporter file: writes what arrived as OTLP JSON lines, the tests' oracle;
//   - exporter prometheus: a /metrics endpoint that Debian's prometheus scrapes;
//   - extension bearertokenauth: the "wrong token" fault test.
//
// It is laid out like the collector builder's output (a factories function and a
// cobra command from otelcol), written by hand so that go.mod is the only recipe.
// build.sh builds and caches it.
package main

import (
	"os"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/bearertokenauthextension"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// factories lists the components this distribution knows; a config naming any other
// fails at start with the collector's own "unknown type" error.
func factories() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error

	f.Telemetry = otelconftelemetry.NewFactory()
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		fileexporter.NewFactory(),
		prometheusexporter.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](
		bearertokenauthextension.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	return f, nil
}

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "gmt-otelcol",
			Description: "OpenTelemetry Collector for gomemtrace's end-to-end tests",
			Version:     "test",
		},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					fileprovider.NewFactory(),
					envprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
			},
		},
	}
	// cobra has already printed the error; printing it again would only duplicate it.
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		os.Exit(1)
	}
}
