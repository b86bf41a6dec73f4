import Foundation
import Gateway

// The REST/JSON edge in front of Halo's gRPC services (README: "Gateway").
exit(await GatewayMain.run(arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment))
