import Foundation
import GSATheoryCLI

exit(CLI.main(Array(CommandLine.arguments.dropFirst())))
