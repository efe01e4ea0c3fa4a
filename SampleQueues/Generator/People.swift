import ClericalCore
import Foundation

/// A deterministic random source (SplitMix64), so a seed always gives the same sample.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// A person as one administrative system recorded them. nil is a missing value.
struct PersonRecord: Sendable {
    var uniqueID: String
    var personID: Int
    var givenName: String?
    var familyName: String?
    var dateOfBirth: String?  // YYYY-MM-DD
    var sex: String?
    var postcode: String?
    var town: String?
    var addressLine: String?
    var niNumber: String?
    var caseReference: String
    var sourceSystem: String
}

/// Names as a justice data linkage in the UK and Ireland meets them: several languages and
/// scripts, with and without their diacritics.
enum NamePool {
    static let given: [(name: String, sex: String)] = [
        ("Siobhán", "F"), ("Aoife", "F"), ("Niamh", "F"), ("Seán", "M"), ("Pádraig", "M"), ("Caoimhe", "F"),
        ("Zoë", "F"), ("Chloë", "F"), ("José", "M"), ("François", "M"), ("Renée", "F"), ("Björn", "M"),
        ("Łukasz", "M"), ("Zofia", "F"), ("Małgorzata", "F"), ("Grzegorz", "M"), ("Ngozi", "F"), ("Oluwaseun", "M"),
        ("Priya", "F"), ("Arjun", "M"), ("Mohammed", "M"), ("Fatima", "F"), ("Aisha", "F"), ("Yusuf", "M"),
        ("An", "M"), ("Bích", "F"), ("Thảo", "F"), ("Minh", "M"), ("秀英", "F"), ("伟", "M"), ("芳", "F"), ("强", "M"),
        ("James", "M"), ("Oliver", "M"), ("Jack", "M"), ("Harry", "M"), ("George", "M"), ("Thomas", "M"),
        ("Emily", "F"), ("Olivia", "F"), ("Sophie", "F"), ("Jessica", "F"), ("Amelia", "F"), ("Grace", "F"),
        ("Daniel", "M"), ("Matthew", "M"), ("Rhys", "M"), ("Dafydd", "M"), ("Cerys", "F"), ("Megan", "F"),
        ("محمد", "M"), ("فاطمة", "F"), ("Jørgen", "M"), ("Ingrid", "F"), ("Ana", "F"), ("Tomás", "M"),
    ]
    static let family: [String] = [
        "Ó Briain", "Ní Mhaolagáin", "O'Connor", "Mac Giolla Phádraig", "Murphy", "Kelly", "Byrne", "Ryan",
        "Nguyễn", "Trần", "Lê", "Phạm", "王", "李", "张", "刘", "Wróbel", "Kowalski", "Nowak", "Wiśniewska",
        "Okonkwo", "Adeyemi", "Patel", "Shah", "Khan", "Ali", "Hussain", "Begum", "Müller", "Lévesque",
        "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Roberts",
        "Johnson", "Lewis", "Walker", "Robinson", "Wright", "Thompson", "White", "Hughes", "Edwards", "Green",
        "Thygesen", "García", "Fernández", "Yılmaz", "Öztürk", "حسن",
    ]
    static let towns: [(town: String, district: String)] = [
        ("Belfast", "BT1"), ("Derry", "BT48"), ("Newry", "BT34"), ("Cardiff", "CF10"), ("Swansea", "SA1"),
        ("Leeds", "LS1"), ("Bradford", "BD1"), ("Manchester", "M1"), ("Salford", "M5"), ("Liverpool", "L1"),
        ("Birmingham", "B1"), ("Coventry", "CV1"), ("Leicester", "LE1"), ("Nottingham", "NG1"), ("Sheffield", "S1"),
        ("Bristol", "BS1"), ("Plymouth", "PL1"), ("Norwich", "NR1"), ("Glasgow", "G1"), ("Edinburgh", "EH1"),
        ("Newcastle upon Tyne", "NE1"), ("Sunderland", "SR1"), ("Hull", "HU1"), ("Stoke-on-Trent", "ST1"),
    ]
    static let streets = [
        "High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street", "Queen's Road",
        "Bóthar na Trá", "Heol y Castell", "Park Avenue", "Kingsway", "Albert Terrace", "Chapel Row",
        "Orchard Close", "Manor Way", "Riverside", "Canal Street", "Forge Lane", "Meadow View",
    ]
}

/// Makes people and the errors administrative data puts into their records.
struct PeopleFactory {
    var random: SeededRandom
    private var nextRecord = 0

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func person(_ id: Int) -> PersonRecord {
        let given = NamePool.given.randomElement(using: &random)!
        let town = NamePool.towns.randomElement(using: &random)!
        let year = Int.random(in: 1950...2006, using: &random)
        let month = Int.random(in: 1...12, using: &random), day = Int.random(in: 1...28, using: &random)
        return PersonRecord(
            uniqueID: "", personID: id,
            givenName: given.name,
            familyName: NamePool.family.randomElement(using: &random)!,
            dateOfBirth: String(format: "%04d-%02d-%02d", year, month, day),
            sex: given.sex,
            postcode: postcode(district: town.district),
            town: town.town,
            addressLine: "\(Int.random(in: 1...240, using: &random)) \(NamePool.streets.randomElement(using: &random)!)",
            niNumber: random.chance(0.7) ? niNumber() : nil,
            caseReference: "", sourceSystem: "")
    }

    mutating func postcode(district: String) -> String {
        let letters = Array("ABDEFGHJLNPQRSTUWXYZ")
        return "\(district) \(Int.random(in: 1...9, using: &random))\(letters.randomElement(using: &random)!)\(letters.randomElement(using: &random)!)"
    }

    mutating func niNumber() -> String {
        let letters = Array("ABCEGHJKLMNPRSTWXYZ")
        let digits = (0..<6).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
        return "\(letters.randomElement(using: &random)!)\(letters.randomElement(using: &random)!)\(digits)\(["A", "B", "C", "D"].randomElement(using: &random)!)"
    }

    /// Stamps a record with its own id, case reference and source system.
    mutating func recorded(_ person: PersonRecord) -> PersonRecord {
        var record = person
        nextRecord += 1
        let systems = ["custody", "courts", "probation", "prisons"]
        record.sourceSystem = systems.randomElement(using: &random)!
        record.uniqueID = String(format: "%@-%07d", String(record.sourceSystem.prefix(3)).uppercased(), nextRecord)
        record.caseReference = String(format: "%02d/%06d/%@", Int.random(in: 10...25, using: &random),
                                      Int.random(in: 1...999_999, using: &random), ["A", "B", "K", "X"].randomElement(using: &random)!)
        return record
    }

    /// Another record of the same person, with the errors clerical reviewers meet every day.
    mutating func duplicate(of person: PersonRecord) -> PersonRecord {
        var copy = person
        let errors = Int.random(in: 1...4, using: &random)
        for _ in 0..<errors {
            switch Int.random(in: 0..<9, using: &random) {
            case 0: copy.givenName = copy.givenName.map { typo($0) }
            case 1: copy.familyName = copy.familyName.map { typo($0) }
            case 2: copy.dateOfBirth = copy.dateOfBirth.map { swapDayAndMonth($0) }
            case 3: swap(&copy.givenName, &copy.familyName)
            case 4:  // a missing value
                switch Int.random(in: 0..<4, using: &random) {
                case 0: copy.dateOfBirth = nil
                case 1: copy.postcode = nil
                case 2: copy.niNumber = nil
                default: copy.givenName = nil
                }
            case 5:  // moved house
                let town = NamePool.towns.randomElement(using: &random)!
                copy.town = town.town
                copy.postcode = postcode(district: town.district)
                copy.addressLine = "\(Int.random(in: 1...240, using: &random)) \(NamePool.streets.randomElement(using: &random)!)"
            case 6: copy.givenName = copy.givenName.map { stripDiacritics($0) }
            case 7: copy.familyName = copy.familyName.map { stripDiacritics($0) }
            default: copy.dateOfBirth = copy.dateOfBirth.map { typo($0, digitsOnly: true) }
            }
        }
        return copy
    }

    /// A different person who shares a lot with `person`: a twin, or someone in the same household.
    mutating func lookalike(of person: PersonRecord, id: Int) -> PersonRecord {
        var other = self.person(id)
        other.familyName = person.familyName
        other.addressLine = person.addressLine
        other.postcode = person.postcode
        other.town = person.town
        if random.chance(0.5) {
            other.dateOfBirth = person.dateOfBirth  // a twin
            other.sex = random.chance(0.5) ? person.sex : other.sex
        }
        return other
    }

    mutating func typo(_ text: String, digitsOnly: Bool = false) -> String {
        var characters = Array(text)
        guard characters.count > 1 else { return text }
        let i = Int.random(in: 0..<characters.count, using: &random)
        if digitsOnly {
            guard characters[i].isNumber else { return text }
            characters[i] = Character(String(Int.random(in: 0...9, using: &random)))
            return String(characters)
        }
        switch Int.random(in: 0..<4, using: &random) {
        case 0: characters.remove(at: i)
        case 1: characters.insert(characters[i], at: i)
        case 2 where i + 1 < characters.count: characters.swapAt(i, i + 1)
        default: characters[i] = Array("aeiounrst").randomElement(using: &random)!
        }
        return String(characters)
    }

    func swapDayAndMonth(_ date: String) -> String {
        let parts = date.split(separator: "-")
        guard parts.count == 3, Int(parts[2])! <= 12 else { return date }
        return "\(parts[0])-\(parts[2])-\(parts[1])"
    }

    /// "Siobhán" → "Siobhan": decompose, then drop the combining marks.
    func stripDiacritics(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            scalars.append(scalar)
        }
        return String(scalars)
    }
}
