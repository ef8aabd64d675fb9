# Copyright (c) Microsoft Corporation.
# Licensed under the MIT License.
#
# The Copy-Item cases for the FileSystem provider from PowerShell's own tests, run against
# Copy-SpliceItem by ../Upstream.CopyItem.Tests.ps1 (which makes Copy-Item an alias of it).
#
# Origin:  https://github.com/PowerShell/PowerShell
#          test/powershell/Modules/Microsoft.PowerShell.Management/FileSystem.Tests.ps1
# Commit:  929903692e550140efb5042ed05d65bfd21ccb5f (2026-08-20)
# Licence: MIT (Copyright (c) Microsoft Corporation), as the file's own header says.
#
# Taken: every It block of that file that runs Copy-Item, with the BeforeAll/BeforeEach/AfterEach
# blocks of their Describe and Context, as they are upstream. Left out: the tests of other cmdlets
# (New-Item, Move-Item, Rename-Item, ...) around them, and `Import-Module HelpersCommon` (none of
# its helpers is used here). Changed, and only this:
# - the expected error ids name Copy-SpliceItem's command type, "CopyError,$CopyItemCommandType",
#   where upstream has "CopyError,Microsoft.PowerShell.Commands.CopyItemCommand" (the part after
#   the comma is always the type of the command that wrote the error);
# - the Windows-only cases (reserved device names, junctions, directory symbolic links) say why
#   they are skipped (Set-ItResult -Because) instead of a bare -Skip:(-not $IsWindows);
# - the -TestCases data is made in BeforeDiscovery, as Pester 5 and later need (they expand
#   -TestCases before any BeforeAll runs): the self-copy cases name the variables of the
#   Describe's BeforeAll that hold the paths, and the cases look them up when they run.

Describe "Basic FileSystem Provider Tests" -Tags "CI" {
    BeforeDiscovery {
    $reservedNamesTests = @(
        @{ deviceName = 'CON' }
        @{ deviceName = 'PRN' }
        @{ deviceName = 'AUX' }
        @{ deviceName = 'CLOCK$' }
        @{ deviceName = 'NUL' }
        @{ deviceName = 'CONIN$' }
        @{ deviceName = 'CONOUT$' }
        @{ deviceName = 'COM0' }
        @{ deviceName = 'COM1' }
        @{ deviceName = 'COM2' }
        @{ deviceName = 'COM3' }
        @{ deviceName = 'COM4' }
        @{ deviceName = 'COM5' }
        @{ deviceName = 'COM6' }
        @{ deviceName = 'COM7' }
        @{ deviceName = 'COM8' }
        @{ deviceName = 'COM9' }
        @{ deviceName = 'LPT0' }
        @{ deviceName = 'LPT1' }
        @{ deviceName = 'LPT2' }
        @{ deviceName = 'LPT3' }
        @{ deviceName = 'LPT4' }
        @{ deviceName = 'LPT5' }
        @{ deviceName = 'LPT6' }
        @{ deviceName = 'LPT7' }
        @{ deviceName = 'LPT8' }
        @{ deviceName = 'LPT9' }
    )
    }

    BeforeAll {
        $testDir = "TestDir"
        $testFile = "TestFile.txt"
        $restoreLocation = Get-Location
    }

    AfterAll {
        #restore the previous location
        Set-Location -Path $restoreLocation
    }

    BeforeEach {
        Set-Location -Path "TestDrive:\"
    }

    Context "Validate basic FileSystem Cmdlets" {
        BeforeAll {
            $newTestDir = "NewTestDir"
            $newTestFile = "NewTestFile.txt"
            $testContent = "Some Content"
            $testContent2 = "More Content"
        }

        BeforeEach {
            New-Item -Path $testDir -ItemType Directory > $null
            New-Item -Path $testFile -ItemType File > $null
        }

        AfterEach {
            Set-Location -Path "TestDrive:\"
            Remove-Item -Path * -Recurse -Force -ErrorAction SilentlyContinue
        }

        It "Verify Copy-Item" {
            $newFile = Copy-Item -Path $testFile -Destination $newTestFile -PassThru
            $fileExists = Test-Path $newTestFile
            $fileExists | Should -BeTrue
            $newFile.Name | Should -BeExactly $newTestFile
        }

         It "Copy-Item on Windows rejects Windows reserved device name: <deviceName>" -TestCases $reservedNamesTests {
            param($deviceName)
            if (-not $IsWindows) { Set-ItResult -Skipped -Because 'Windows-only: reserved device names exist only on Windows'; return }
            { Copy-Item -Path $testFile -Destination $deviceName -ErrorAction Stop } | Should -Throw -ErrorId "CopyError,$CopyItemCommandType"
         }

         It "Copy-Item on Unix succeeds with Windows reserved device name: <deviceName>" -Skip:($IsWindows) -TestCases $reservedNamesTests {
            param($deviceName)
            Copy-Item -Path $testFile -Destination $deviceName -Force -ErrorAction SilentlyContinue
            Test-Path $deviceName | Should -BeTrue
         }

         It "Copy-Item can copy 0 byte length file" {
            $zeroLengthFile = New-Item -Path (Join-Path $TestDrive "zeroLengthFile.txt") -ItemType File -Force
            Copy-Item -Path $zeroLengthFile -Destination "$TestDrive\zeroLengthFile2.txt" -Force
            "$TestDrive\zeroLengthFile2.txt" | Should -Exist
         }
    }

    Context "Handling of Unix [ab] globbing patterns in literal paths" {
        BeforeAll {
            $filePath = Join-Path $TESTDRIVE "file[txt].txt"
            $newPath = Join-Path $TESTDRIVE "file.txt.txt"
            $dirPath = Join-Path $TESTDRIVE "subdir"
        }
        BeforeEach {
            $file = New-Item -ItemType File -Path $filePath -Force
        }
        AfterEach {
            Remove-Item -Force -Recurse -Path $dirPath -ErrorAction SilentlyContinue
            Remove-Item -Force -LiteralPath $newPath -ErrorAction SilentlyContinue
        }

        It "Copy-Item -LiteralPath can copy a file with Unix globbing characters" {
            Copy-Item -LiteralPath $file.FullName -Destination $newPath
            Test-Path -LiteralPath $newPath | Should -BeTrue
        }
    }
}

Describe "Copy-Item can avoid copying an item onto itself" -Tags "CI", "RequireAdminOnWindows" {
    BeforeAll {
        # For now, we'll assume the tests are running the platform's
        # native filesystem, in its default mode
        $isCaseSensitive = $IsLinux

        # The name of the key in an exception's Data dictionary when an
        # attempt is made to copy an item onto itself.
        $selfCopyKey = "SelfCopy"

        $subDir = "$TestDrive/sub"
        $otherSubDir = "$TestDrive/other-sub"
        $fileName = "file.txt"
        $filePath = "$TestDrive/$fileName"
        $otherFileName = "other-file"
        $otherFile = "$otherSubDir/$otherFileName"
        $symToOther = "$subDir/sym-to-other"
        $secondSymToOther = "$subDir/another-sym-to-other"
        $symToSym = "$subDir/sym-to-sym-to-other"
        $symToOtherFile = "$subDir/sym-to-other-file"
        $hardToOtherFile = "$subDir/hard-to-other-file"
        $symdToOther = "$subDir/symd-to-other"
        $junctionToOther = "$subDir/junction-to-other"

        New-Item -ItemType File $filePath -Value "stuff" > $null
        New-Item -ItemType Directory $subDir > $null
        New-Item -ItemType Directory $otherSubDir > $null
        New-Item -ItemType File $otherFile -Value "some text" > $null
        New-Item -ItemType SymbolicLink $symToOther -Value $otherSubDir > $null
        New-Item -ItemType SymbolicLink $secondSymToOther -Value $otherSubDir > $null
        New-Item -ItemType SymbolicLink $symToSym -Value $symToOther > $null
        New-Item -ItemType SymbolicLink $symToOtherFile -Value $otherFile > $null
        New-Item -ItemType HardLink $hardToOtherFile -Value $otherFile > $null

        if ($IsWindows)
        {
            New-Item -ItemType Junction $junctionToOther -Value $otherSubDir > $null
            New-Item -ItemType SymbolicLink $symdToOther -Value $otherSubDir > $null
        }
    }

    Context "Copy-Item using different case (on case-sensitive file systems)" {
        BeforeEach {
            $sourcePath = $filePath
            $destinationPath = "$TestDrive/" + $fileName.Toupper()
        }
        AfterEach {
            Remove-Item -Path $destinationPath -ErrorAction SilentlyContinue
        }

        It "Copy-Item can copy to file name differing only by case" {
            if ($isCaseSensitive)
            {
                Copy-Item -Path $sourcePath -Destination $destinationPath -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
                Test-Path -Path $destinationPath | Should -BeTrue
            }
            else
            {
                { Copy-Item -Path $sourcePath -Destination $destinationPath -ErrorAction Stop } | Should -Throw -ErrorId "CopyError,$CopyItemCommandType"
                $error[0].Exception | Should -BeOfType System.IO.IOException
                $error[0].Exception.Data[$selfCopyKey] | Should -Not -BeNullOrEmpty
            }
        }
    }

    Context "Copy-Item avoids copying an item onto itself" {
        BeforeDiscovery {
            $testCases = @(
                @{
                    Name = "Copy to same path"
                    Source = 'otherFile'
                    Destination = 'otherFile'
                }
                @{
                    Name = "Copy hard link"
                    Source = 'hardToOtherFile'
                    Destination = 'otherFile'
                }
                @{
                    Name = "Copy hard link, reversed"
                    Source = 'otherFile'
                    Destination = 'hardToOtherFile'
                }
                @{
                    Name = "Copy symbolic link to target"
                    Source = 'symToOtherFile'
                    Destination = 'otherFile'
                }
                @{
                    Name = "Copy symbolic link to symbolic link with same target"
                    Source = 'secondSymToOther'
                    Destination = 'symToOther'
                }
                @{
                    Name = "Copy through chain of symbolic links"
                    Source = 'symToSym'
                    Destination = 'otherSubDir'
                }
            )

            # Junctions and directory symbolic links are Windows and NTFS only
            $windowsTestCases = @(
                @{
                    Name = "Copy junction to target"
                    Source = 'junctionToOther'
                    Destination = 'otherSubDir'
                }
                @{
                    Name = "Copy directory symbolic link to target"
                    Source = 'symdToOther'
                    Destination = 'otherSubDir'
                }
            )
        }

        BeforeAll {
            function TestSelfCopy
            {
                Param (
                    [string]$Source,
                    [string]$Destination
                )

                { Copy-Item -Path $Source -Destination $Destination -ErrorAction Stop } | Should -Throw -ErrorId "CopyError,$CopyItemCommandType"
                $error[0].Exception | Should -BeOfType System.IO.IOException
                $error[0].Exception.Data[$selfCopyKey] | Should -Not -BeNullOrEmpty
            }
        }

        It "<Name>" -TestCases $testCases {
            Param (
                [string]$Name,
                [string]$Source,
                [string]$Destination
            )

            TestSelfCopy (Get-Variable -Name $Source -ValueOnly) (Get-Variable -Name $Destination -ValueOnly)
        }

        It "<Name>" -TestCases $windowsTestCases {
            Param (
                [string]$Name,
                [string]$Source,
                [string]$Destination
            )
            if (-not $IsWindows) { Set-ItResult -Skipped -Because 'Windows-only: junctions and directory symbolic links of NTFS'; return }

            TestSelfCopy (Get-Variable -Name $Source -ValueOnly) (Get-Variable -Name $Destination -ValueOnly)
        }
    }
}
