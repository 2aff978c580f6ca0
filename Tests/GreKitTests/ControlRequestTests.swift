import Testing
@testable import GreKit

/// The control socket's request, as its pieces arrive from a client.
@Suite struct ControlRequestTests {
    @Test func wordsComeWhenTheLineEnds() throws {
        var request = ControlServer.Request()
        #expect(try request.receive(Array("status js".utf8), ended: false) == nil)
        #expect(try request.receive(Array("on  gre1\nignored".utf8), ended: false) == ["status", "json", "gre1"])
    }

    @Test func aRequestWrittenAByteAtATime() throws {
        var request = ControlServer.Request()
        let bytes = Array("status json gre1\nstatus".utf8)
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n"))!
        for byte in bytes[..<newline] { #expect(try request.receive([byte], ended: false) == nil) }
        #expect(try request.receive(bytes[newline...], ended: false) == ["status", "json", "gre1"])
    }

    @Test func aClientThatEndsWritingEndsItsRequest() throws {
        var request = ControlServer.Request()
        #expect(try request.receive(Array("status".utf8), ended: false) == nil)
        #expect(try request.receive([], ended: true) == ["status"])
        var empty = ControlServer.Request()
        #expect(try empty.receive([], ended: true) == [])
    }

    @Test func aRequestThatGoesOnPastTheLimitIsRefused() throws {
        var request = ControlServer.Request()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 256)
        for _ in 0..<(ControlServer.Request.limit / 256) { #expect(try request.receive(piece, ended: false) == nil) }
        #expect(throws: SystemError.self) { try request.receive(piece, ended: false) }
        // A long request whose newline came is answered.
        var ended = ControlServer.Request()
        #expect(try ended.receive(piece + piece + piece + piece + piece + Array("\n".utf8), ended: false)?.count == 1)
    }
}
