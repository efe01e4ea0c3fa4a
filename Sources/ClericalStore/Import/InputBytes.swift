import CZlib
import ClericalCore
import Foundation

/// An input file's text, whether it is stored plain or gzip-compressed: Splink's outputs are
/// often kept as `predictions.csv.gz`, and a reviewer should not have to unpack one to import
/// it. Compression is told by the file's first bytes, not its name. Other compressions and
/// Parquet are named in a clear refusal rather than read as broken text.
final class InputBytes {
    let displayName: String
    /// Bytes taken from the file so far (the compressed ones for gzip): progress against its size.
    private(set) var bytesConsumed: Int64 = 0
    private let handle: FileHandle
    private let chunkSize: Int
    /// A plain file's first bytes, read to tell the format and handed out first.
    private var head: [UInt8] = []
    private var gzip: GzipStream?
    private var fileAtEnd = false

    init(handle: FileHandle, displayName: String, chunkSize: Int) throws(ClericalError) {
        self.handle = handle
        self.displayName = displayName
        self.chunkSize = chunkSize
        let first = try readFile()
        if let refusal = Self.unreadableFormat(first) {
            throw ClericalError(.dataError, "\(displayName): \(refusal)")
        }
        if first.starts(with: [0x1F, 0x8B]) {
            let gzip = try GzipStream(displayName: displayName)
            gzip.give(first)
            self.gzip = gzip
        } else {
            head = first
        }
    }

    deinit { gzip?.end() }

    /// The next bytes of text, or nil at its end.
    func read() throws(ClericalError) -> [UInt8]? {
        guard let gzip else {
            if !head.isEmpty { defer { head = [] }; return head }
            let bytes = try readFile()
            return bytes.isEmpty ? nil : bytes
        }
        while true {
            if gzip.needsInput && !fileAtEnd {
                let bytes = try readFile()
                if bytes.isEmpty { fileAtEnd = true } else { gzip.give(bytes) }
            }
            guard let text = try gzip.inflate(outputCapacity: chunkSize, noMoreInput: fileAtEnd) else { return nil }
            if !text.isEmpty { return text }
        }
    }

    func close() { try? handle.close() }

    private func readFile() throws(ClericalError) -> [UInt8] {
        let data: Data?
        do {
            data = try handle.read(upToCount: chunkSize)
        } catch {
            throw ClericalError(.ioError, "\(displayName): read failed: \(error.localizedDescription)")
        }
        guard let data, !data.isEmpty else { return [] }
        bytesConsumed += Int64(data.count)
        return [UInt8](data)
    }

    /// Formats that are plainly not CSV text, by their magic numbers, with what to do instead.
    static func unreadableFormat(_ head: [UInt8]) -> String? {
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) {
            return "is compressed with zstd, which clerical does not read: decompress it first (zstd -d), or use gzip"
        }
        if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
            return "is compressed with xz, which clerical does not read: decompress it first (xz -d), or use gzip"
        }
        if head.count >= 10, head.starts(with: [0x42, 0x5A, 0x68]), (0x31...0x39).contains(head[3]),
           Array(head[4..<10]) == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] || Array(head[4..<10]) == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90] {
            return "is compressed with bzip2, which clerical does not read: decompress it first (bunzip2), or use gzip"
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return "is a zip archive: unzip it first and give the CSV inside"
        }
        if head.starts(with: Array("PAR1".utf8)) {
            return "is a Parquet file: clerical reads CSV (write it with Splink's .as_pandas_dataframe().to_csv(path, index=False), or DuckDB's COPY … TO 'file.csv')"
        }
        return nil
    }
}

/// zlib's inflate over a gzip file, member after member (`cat a.gz b.gz` is one gzip file).
private final class GzipStream {
    private let displayName: String
    /// On the heap: zlib keeps the stream's address and checks it on every call.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    /// Compressed bytes given and not yet inflated; `stream.next_in` points into it.
    private var input: UnsafeMutableBufferPointer<UInt8> = .init(start: nil, count: 0)
    private var memberEnded = false

    init(displayName: String) throws(ClericalError) {
        self.displayName = displayName
        stream.initialize(to: z_stream())
        // 16 + 15: a gzip header and trailer around the largest window.
        guard clerical_inflateInit2(stream, 16 + 15) == Z_OK else {
            stream.deallocate()
            throw ClericalError(.ioError, "\(displayName): cannot start gzip decompression (out of memory?)")
        }
    }

    var needsInput: Bool { stream.pointee.avail_in == 0 }

    func give(_ bytes: [UInt8]) {
        input.deallocate()
        input = .allocate(capacity: bytes.count)
        _ = input.initialize(from: bytes)
        stream.pointee.next_in = input.baseAddress
        stream.pointee.avail_in = uInt(bytes.count)
    }

    /// Inflates what input there is into up to `outputCapacity` bytes; nil once the last member
    /// has ended and no input is left.
    func inflate(outputCapacity: Int, noMoreInput: Bool) throws(ClericalError) -> [UInt8]? {
        if memberEnded {
            guard stream.pointee.avail_in > 0 || !noMoreInput else { return nil }
            if stream.pointee.avail_in == 0 { return [] }  // more of the file to read first
            // Another member follows (or bytes that are not one, which inflate refuses).
            inflateReset(stream)
            memberEnded = false
        }
        if stream.pointee.avail_in == 0 {
            guard !noMoreInput else {
                throw ClericalError(.dataError, "\(displayName): the gzip data ends early: the file is truncated (gzip -t checks it)")
            }
            return []
        }
        var output = [UInt8](repeating: 0, count: outputCapacity)
        let (status, produced) = output.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
            stream.pointee.next_out = buffer.baseAddress
            stream.pointee.avail_out = uInt(buffer.count)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            return (status, buffer.count - Int(stream.pointee.avail_out))
        }
        stream.pointee.next_out = nil
        switch status {
        case Z_OK, Z_BUF_ERROR:
            break
        case Z_STREAM_END:
            memberEnded = true
        case Z_MEM_ERROR:
            throw ClericalError(.ioError, "\(displayName): out of memory while decompressing")
        default:
            let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
            throw ClericalError(.dataError, "\(displayName): not valid gzip data (\(reason)): the file is damaged (gzip -t checks it)")
        }
        output.removeSubrange(produced...)
        return output
    }

    func end() {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }
}
